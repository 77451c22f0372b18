import Foundation

/// Every token's UTF-8 bytes in one buffer plus an open-addressing hash from bytes to id.
///
/// The merge loops look up millions of byte slices; hashing raw bytes avoids building a Swift
/// `String` per lookup, which is what keeps encoding above 1 MB/s.
final class TokenTable: @unchecked Sendable {
    let count: Int
    private let bytes: UnsafeMutablePointer<UInt8>
    private let offsets: UnsafeMutablePointer<Int>  // count + 1 entries
    private let slots: UnsafeMutablePointer<Int32>  // -1 = empty
    private let mask: Int

    init(texts: [String]) {
        let n = texts.count
        var total = 0
        for t in texts { total += t.utf8.count }
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        let offs = UnsafeMutablePointer<Int>.allocate(capacity: n + 1)
        var pos = 0
        for (i, t) in texts.enumerated() {
            offs[i] = pos
            var s = t
            s.withUTF8 { u in
                if let base = u.baseAddress { (buf + pos).update(from: base, count: u.count) }
                pos += u.count
            }
        }
        offs[n] = pos
        var cap = 16
        while cap < n * 2 { cap <<= 1 }
        let sl = UnsafeMutablePointer<Int32>.allocate(capacity: cap)
        sl.initialize(repeating: -1, count: cap)
        count = n; bytes = buf; offsets = offs; slots = sl; mask = cap - 1
        // Later duplicates replace earlier ones, as llama.cpp's token_to_id map assignment does.
        for i in 0..<n {
            let p = buf + offs[i], len = offs[i + 1] - offs[i]
            var h = Self.hash(p, len) & mask
            while sl[h] >= 0 && !equal(Int(sl[h]), p, len) { h = (h + 1) & mask }
            sl[h] = Int32(i)
        }
    }

    deinit {
        bytes.deallocate(); offsets.deallocate(); slots.deallocate()
    }

    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    @inline(__always) private func equal(_ id: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let o = offsets[id]
        return offsets[id + 1] - o == n && memcmp(bytes + o, p, n) == 0
    }

    /// The id whose text is exactly these bytes, or -1.
    @inline(__always) func id(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        var h = Self.hash(p, n) & mask
        while true {
            let s = slots[h]
            if s < 0 { return -1 }
            if equal(Int(s), p, n) { return s }
            h = (h + 1) & mask
        }
    }

    func id(_ text: String) -> Int32 {
        var s = text
        return s.withUTF8 { u in u.baseAddress.map { id($0, u.count) } ?? id(bytes, 0) }
    }

    /// The token's bytes; valid while the table lives.
    @inline(__always) func text(_ id: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes + offsets[id], count: offsets[id + 1] - offsets[id])
    }

    func string(_ id: Int) -> String { String(decoding: text(id), as: UTF8.self) }
}
