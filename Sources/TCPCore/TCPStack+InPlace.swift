extension TCPStack {
    /// `wantsToSend` for a connection processed in place (`take` … `commit`). An argument read
    /// through the pointer (`wantsToSend(c.pointee)`) is copied with a retain and a release for
    /// every reference in the ~800-byte TCB, on every segment; through `inout` the checks read
    /// the slot, and the one copy left (for the helpers it hands the TCB to) is a plain memcpy.
    func wantsToSend(inPlace c: inout Connection) -> Bool {
        wantsToSend(c)
    }
}
