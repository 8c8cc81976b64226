return Netmap.Bench.Pcap.PcapBenchMain.Run(args);
