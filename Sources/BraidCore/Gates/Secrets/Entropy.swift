import Foundation

/// Shannon entropy of a byte string, in bits per byte: how unpredictable a value looks.
///
/// Random keys score high (a random base64 string of 24 characters about 4.3, of hex about 3.8),
/// words, identifiers and repeated characters low, so that "a long value with high entropy
/// assigned to `password`" separates generated secrets from the names and sentences code assigns.
enum Entropy {
    /// Bits per byte over `bytes[range]`; 0 for an empty range.
    static func bitsPerByte(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>) -> Double {
        guard !range.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256) { counts -> Double in
            counts.initialize(repeating: 0)
            for i in range { counts[Int(bytes[i])] += 1 }
            let total = Double(range.count)
            var bits = 0.0
            for count in counts where count > 0 {
                let p = Double(count) / total
                bits -= p * log2(p)
            }
            return bits
        }
    }
}
