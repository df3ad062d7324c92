/// `x` with exactly three decimals ("1.500"), the way every figure of a report is printed.
func format3(_ x: Double) -> String {
    let scaled = (x * 1000).rounded()
    let whole = Int(scaled / 1000)
    let frac = Int(abs(scaled).truncatingRemainder(dividingBy: 1000))
    let f = String(frac)
    return "\(x < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: 3 - f.count))\(f)"
}

extension String {
    /// "1.500" → "1.5", "2.000" → "2".
    var trimmedZeros: String {
        guard contains(".") else { return self }
        var s = self
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
