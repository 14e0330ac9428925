Console.WriteLine("narrative");
