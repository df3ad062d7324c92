extension TCPStack {
    /// `wantsToSend` for a connection processed in place (`take` … `commit`). An argument read
    /// through the pointer (`wantsToSend(c.pointee)`) is copied first: ~800 bytes and a retain
    /// and release for every reference in the TCB, on every segment. `inout` passes its address.
    func wantsToSend(inPlace c: inout Connection) -> Bool {
        wantsToSend(c)
    }
}
