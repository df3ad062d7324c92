// Big-endian loads and stores on raw buffers; callers have checked the bounds.
extension UnsafeRawBufferPointer {
    func loadBE16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    func loadBE32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
extension UnsafeMutableRawBufferPointer {
    func storeBE16(_ v: UInt16, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self) }
    func storeBE32(_ v: UInt32, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }
    func loadBE16(_ offset: Int) -> UInt16 { UnsafeRawBufferPointer(self).loadBE16(offset) }
}

extension UnsafeRawBufferPointer {
    func loadBE64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
extension UnsafeMutableRawBufferPointer {
    func storeBE64(_ v: UInt64, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self) }
}
