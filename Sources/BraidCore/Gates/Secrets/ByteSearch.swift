/// Substring tests on short byte arrays (names, values), where building a `String` would cost
/// more than the test.
enum ByteSearch {
    static func contains<Haystack: RandomAccessCollection<UInt8>>(_ haystack: Haystack, _ needle: [UInt8]) -> Bool where Haystack.Index == Int {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i] == first {
                var k = 1
                while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    static func hasSuffix<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ suffix: [UInt8]) -> Bool where Bytes.Index == Int {
        bytes.count >= suffix.count && bytes[(bytes.endIndex - suffix.count)...].elementsEqual(suffix)
    }
}
