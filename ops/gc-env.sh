# Sourced by the scripts that start Narrative's hosts (ops/run, ops/narrative, ops/bench; the Docker image sets the same).
# A 128 MB young-generation budget: a question over a 10,000-item topic allocates about 4 MB, and with the default
# budget most questions met a collection (query.assessment.p95 25-28 ms instead of 12-21). Only the environment sets it:
# runtimeconfig.json has no key the GC reads for it.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x8000000}"
