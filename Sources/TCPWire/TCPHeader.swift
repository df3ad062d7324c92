/// A TCP header as a value (RFC 9293 §3.1). `dataOffset` is derived from the options on emit;
/// on parse it is the value read.
public struct TCPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: SequenceNumber
    public var acknowledgmentNumber: SequenceNumber
    /// Header length in 32-bit words as read (5...15). Ignored by `emit`, which computes it.
    public var dataOffset: UInt8
    public var flags: TCPFlags
    public var window: UInt16
    /// As read from the wire; `emit` writes the computed checksum instead.
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: TCPOptions

    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: SequenceNumber,
                acknowledgmentNumber: SequenceNumber, flags: TCPFlags, window: UInt16,
                urgentPointer: UInt16 = 0, options: TCPOptions = TCPOptions()) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.dataOffset = 5
        self.flags = flags
        self.window = window
        self.checksum = 0
        self.urgentPointer = urgentPointer
        self.options = options
    }

    /// Bytes `emit` writes: 20 plus the padded options.
    public var encodedLength: Int { 20 + options.encodedLength }

    /// Reads a header (with options) from the front of `bytes`, which hold the whole TCP segment.
    /// Returns the header and its length in bytes; the payload is `bytes[length...]`.
    /// Checks: at least 20 bytes; 5 <= data offset and offset*4 <= bytes.count; option lengths.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> (header: TCPHeader, length: Int) {
        guard bytes.count >= 20 else { throw .truncated(layer: .tcp, needed: 20, available: bytes.count) }
        let offsetWords = Int(bytes[12] >> 4)
        let headerLength = offsetWords * 4
        guard offsetWords >= 5 else { throw .badDataOffset(offsetWords) }
        guard headerLength <= bytes.count else { throw .badDataOffset(offsetWords) }
        var h = TCPHeader(
            sourcePort: bytes.loadBE16(0), destinationPort: bytes.loadBE16(2),
            sequenceNumber: SequenceNumber(bytes.loadBE32(4)),
            acknowledgmentNumber: SequenceNumber(bytes.loadBE32(8)),
            flags: TCPFlags(rawValue: bytes[13]), window: bytes.loadBE16(14),
            urgentPointer: bytes.loadBE16(18))
        h.dataOffset = UInt8(offsetWords)
        h.checksum = bytes.loadBE16(16)
        h.options = try TCPOptions.parse(UnsafeRawBufferPointer(rebasing: bytes[20..<headerLength]))
        return (h, headerLength)
    }

    /// Writes the header and options into the front of `buffer` with checksum field zero.
    /// Returns the bytes written (`encodedLength`).
    public func emit(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let optionLength = options.encodedLength
        guard optionLength <= 40 else { throw .optionsTooLong(optionLength) }
        let length = 20 + optionLength
        guard buffer.count >= length else { throw .bufferTooSmall(needed: length, available: buffer.count) }
        buffer.storeBE16(sourcePort, at: 0)
        buffer.storeBE16(destinationPort, at: 2)
        buffer.storeBE32(sequenceNumber.rawValue, at: 4)
        buffer.storeBE32(acknowledgmentNumber.rawValue, at: 8)
        buffer[12] = UInt8(length / 4) << 4
        buffer[13] = flags.rawValue
        buffer.storeBE16(window, at: 14)
        buffer.storeBE16(0, at: 16)
        buffer.storeBE16(urgentPointer, at: 18)
        options.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[20..<length]))
        return length
    }
}
