return Netmap.Bench.Vale.BenchMain.Run(args);
