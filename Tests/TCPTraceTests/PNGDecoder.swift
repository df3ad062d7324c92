/// Just enough of PNG (RFC 2083) and DEFLATE (RFC 1951) to read back a browser's screenshot in
/// the tests: 8-bit RGB or RGBA, not interlaced. Written for the tests, not for speed.
struct PNGImage {
    var width: Int
    var height: Int
    /// 3 (RGB) or 4 (RGBA).
    var channels: Int
    /// Rows top to bottom, `width * channels` bytes each, filters undone.
    var pixels: [UInt8]

    enum Failure: Error { case notPNG, unsupported(String), corrupt(String) }

    init(_ file: [UInt8]) throws {
        guard file.count > 8, Array(file.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw Failure.notPNG }
        func u32(_ i: Int) -> Int { Int(file[i]) << 24 | Int(file[i + 1]) << 16 | Int(file[i + 2]) << 8 | Int(file[i + 3]) }
        var i = 8
        var idat: [UInt8] = []
        var header: (w: Int, h: Int, depth: UInt8, type: UInt8, interlace: UInt8)?
        while i + 8 <= file.count {
            let n = u32(i)
            let type = String(decoding: file[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + n <= file.count else { throw Failure.corrupt("chunk \(type) runs past the end") }
            let d = i + 8
            if type == "IHDR" { header = (u32(d), u32(d + 4), file[d + 8], file[d + 9], file[d + 12]) }
            if type == "IDAT" { idat += file[d..<(d + n)] }
            if type == "IEND" { break }
            i += 12 + n
        }
        guard let h = header else { throw Failure.corrupt("no IHDR") }
        guard h.depth == 8, h.type == 2 || h.type == 6, h.interlace == 0 else {
            throw Failure.unsupported("depth \(h.depth), colour type \(h.type), interlace \(h.interlace)")
        }
        width = h.w
        height = h.h
        channels = h.type == 2 ? 3 : 4
        guard idat.count > 2 else { throw Failure.corrupt("no image data") }
        var inflater = Inflater(Array(idat.dropFirst(2)))  // the zlib header
        let raw = try inflater.inflate()
        let stride = width * channels
        guard raw.count >= height * (stride + 1) else { throw Failure.corrupt("\(raw.count) bytes for \(height) rows of \(stride)") }
        pixels = [UInt8](repeating: 0, count: height * stride)
        let bpp = channels
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            let src = y * (stride + 1) + 1, dst = y * stride
            for x in 0..<stride {
                let a = x >= bpp ? Int(pixels[dst + x - bpp]) : 0
                let b = y > 0 ? Int(pixels[dst - stride + x]) : 0
                let c = x >= bpp && y > 0 ? Int(pixels[dst - stride + x - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Failure.corrupt("filter \(filter)")
                }
                pixels[dst + x] = UInt8(truncatingIfNeeded: Int(raw[src + x]) + predictor)
            }
        }
    }

    /// The colour at (x, y) as 0xRRGGBB.
    func rgb(_ x: Int, _ y: Int) -> UInt32 {
        let k = (y * width + x) * channels
        return UInt32(pixels[k]) << 16 | UInt32(pixels[k + 1]) << 8 | UInt32(pixels[k + 2])
    }

    /// How many pixels have each colour.
    var histogram: [UInt32: Int] {
        var out: [UInt32: Int] = [:]
        for y in 0..<height { for x in 0..<width { out[rgb(x, y), default: 0] += 1 } }
        return out
    }
}

/// A DEFLATE decoder (RFC 1951): stored, fixed and dynamic Huffman blocks, codes read one bit at
/// a time against canonical code counts.
struct Inflater {
    private let input: [UInt8]
    private var position = 0
    private var bitBuffer = 0
    private var bitCount = 0
    private var output: [UInt8] = []

    init(_ input: [UInt8]) { self.input = input }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
        init(_ lengths: [Int]) {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<15 { offsets[l + 1] = offsets[l] + counts[l] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = s
                offsets[l] += 1
            }
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private mutating func bits(_ n: Int) throws -> Int {
        while bitCount < n {
            guard position < input.count else { throw PNGImage.Failure.corrupt("deflate stream ends early") }
            bitBuffer |= Int(input[position]) << bitCount
            position += 1
            bitCount += 8
        }
        let v = bitBuffer & ((1 << n) - 1)
        bitBuffer >>= n
        bitCount -= n
        return v
    }

    private mutating func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for length in 1...15 {
            code |= try bits(1)
            let count = h.counts[length]
            if code - count < first { return h.symbols[index + code - first] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw PNGImage.Failure.corrupt("bad Huffman code")
    }

    mutating func inflate() throws -> [UInt8] {
        var last = 0
        while last == 0 {
            last = try bits(1)
            switch try bits(2) {
            case 0:
                bitBuffer = 0
                bitCount = 0
                guard position + 4 <= input.count else { throw PNGImage.Failure.corrupt("stored block header") }
                let n = Int(input[position]) | Int(input[position + 1]) << 8
                position += 4
                guard position + n <= input.count else { throw PNGImage.Failure.corrupt("stored block") }
                output += input[position..<(position + n)]
                position += n
            case 1:
                let lengths = [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112)
                    + [Int](repeating: 7, count: 24) + [Int](repeating: 8, count: 8)
                try codes(Huffman(lengths), Huffman([Int](repeating: 5, count: 30)))
            case 2:
                let literals = try bits(5) + 257, distances = try bits(5) + 1, codeLengths = try bits(4) + 4
                var order = [Int](repeating: 0, count: 19)
                for k in 0..<codeLengths { order[Self.codeLengthOrder[k]] = try bits(3) }
                let lengthCode = Huffman(order)
                var lengths: [Int] = []
                while lengths.count < literals + distances {
                    let s = try decode(lengthCode)
                    switch s {
                    case 0..<16: lengths.append(s)
                    case 16:
                        guard let previous = lengths.last else { throw PNGImage.Failure.corrupt("repeat with nothing before") }
                        lengths += [Int](repeating: previous, count: 3 + (try bits(2)))
                    case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
                    default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
                    }
                }
                try codes(Huffman(Array(lengths[0..<literals])), Huffman(Array(lengths[literals..<(literals + distances)])))
            default:
                throw PNGImage.Failure.corrupt("block type 3")
            }
        }
        return output
    }

    private mutating func codes(_ literal: Huffman, _ distance: Huffman) throws {
        while true {
            let s = try decode(literal)
            if s < 256 {
                output.append(UInt8(s))
            } else if s == 256 {
                return
            } else {
                let k = s - 257
                guard k < 29 else { throw PNGImage.Failure.corrupt("length code \(s)") }
                let length = Self.lengthBase[k] + (try bits(Self.lengthExtra[k]))
                let d = try decode(distance)
                guard d < 30 else { throw PNGImage.Failure.corrupt("distance code \(d)") }
                let back = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                guard back <= output.count else { throw PNGImage.Failure.corrupt("distance \(back) too far back") }
                let start = output.count - back
                for j in 0..<length { output.append(output[start + j]) }
            }
        }
    }
}
