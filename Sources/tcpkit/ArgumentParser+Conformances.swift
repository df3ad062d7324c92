import ArgumentParser
import TCPCore
import TCPSim
import TCPTrace

// The libraries' choices as option values: each parses from its raw value.
extension CongestionControlAlgorithm: ExpressibleByArgument {}
extension Language: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}
extension TCPConfiguration.Profile: ExpressibleByArgument {}
extension SimulationFormat: ExpressibleByArgument {}
extension SimulationArguments.Faults: ExpressibleByArgument {}
extension ColorChoice: ExpressibleByArgument {}
extension CondenseChoice: ExpressibleByArgument {}
