/// Where a passively opened connection stands with its listener.
enum ListenerRole: Equatable {
    case none
    /// In SYN-RECEIVED, counted in the listener's half-open total.
    case halfOpen(ListenerID)
    /// ESTABLISHED (or later) and waiting in the listener's accept queue.
    case queued(ListenerID)
}
