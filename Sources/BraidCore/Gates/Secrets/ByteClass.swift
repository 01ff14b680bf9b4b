/// Character classes of single bytes, as one 256-entry table: the scanner's inner loop asks
/// "is this byte part of a word?" once per byte, and a table lookup is the cheapest answer.
enum ByteClass {
    /// `[A-Za-z0-9_-]`: the characters of every token format the scanner knows (base64url).
    static let word: UInt8 = 1 << 0
    static let upper: UInt8 = 1 << 1
    static let lower: UInt8 = 1 << 2
    static let digit: UInt8 = 1 << 3
    /// `[A-Za-z0-9+/=]`: standard base64, for key material and AWS secret keys.
    static let base64: UInt8 = 1 << 4
    /// Space or tab.
    static let blank: UInt8 = 1 << 5
    static let alphanumeric: UInt8 = upper | lower | digit

    /// The table, built once per scan (256 bytes: cheaper than any shared global in Swift 6).
    static func table() -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 256)
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = word | upper | base64 }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = word | lower | base64 }
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = word | digit | base64 }
        table[Int(UInt8(ascii: "_"))] = word
        table[Int(UInt8(ascii: "-"))] = word
        for b in [UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "=")] { table[Int(b)] = base64 }
        table[Int(UInt8(ascii: " "))] = blank
        table[Int(UInt8(ascii: "\t"))] = blank
        return table
    }
}
