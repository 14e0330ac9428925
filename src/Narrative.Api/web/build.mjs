// Copies the browser files of the page's npm dependencies into ../wwwroot/vendor (git-ignored build output).
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "wwwroot", "vendor");
const files = [
  ["uplot/dist/uPlot.esm.js", "uPlot.esm.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["uplot/LICENSE", "uPlot.LICENSE.txt"],
];

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) copyFileSync(join(here, "node_modules", from), join(vendor, to));
console.log(`==> copied ${files.length} files into ${vendor}`);
