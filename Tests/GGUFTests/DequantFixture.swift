import Foundation
import GGUF
import TestSupport

/// One tensor of a Tests/Fixtures/dequant_*.json file (written by scripts/make-dequant-fixtures.py).
struct DequantFixture {
    let name: String
    let type: String
    let count: Int
    /// The first 256 values (all values for synthetic blocks).
    let first: [Float]
    let sum: Double
    let sumsq: Double
    /// Raw block bytes (synthetic fixtures only).
    let bytes: [UInt8]

    static func load(_ file: String) throws -> [DequantFixture] {
        let url = TestPaths.fixtures.appendingPathComponent(file)
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (root["tensors"] as! [[String: Any]]).map { t in
            // The script writes decimals that survive a Float64 parse, so Float(Double) is exact here.
            DequantFixture(
                name: t["name"] as! String, type: t["type"] as! String, count: t["count"] as! Int,
                first: (t["first"] as! [NSNumber]).map { Float($0.doubleValue) },
                sum: (t["sum"] as! NSNumber).doubleValue, sumsq: (t["sumsq"] as! NSNumber).doubleValue,
                bytes: hexBytes(t["hex"] as? String ?? ""))
        }
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!)
        }
        return out
    }

    /// Index of the first value whose bits differ from the fixture, nil when all match.
    func firstMismatch(_ values: UnsafeBufferPointer<Float>) -> Int? {
        for i in 0..<first.count where values[i].bitPattern != first[i].bitPattern { return i }
        return nil
    }

    /// Sum and sum of squares in Double, as the script computes them.
    static func sums(_ v: UnsafeBufferPointer<Float>) -> (Double, Double) {
        var s = 0.0, q = 0.0
        for x in v { let d = Double(x); s += d; q += d * d }
        return (s, q)
    }

    /// Relative closeness, with the scale taken from the sum of squares so a sum near zero (cancellation)
    /// is judged against the size of the values rather than against itself.
    func sumsMatch(_ s: Double, _ q: Double, tolerance: Double = 1e-9) -> Bool {
        let scale = max(abs(sum), sqrt(sumsq), 1e-30)
        return abs(s - sum) <= tolerance * scale && abs(q - sumsq) <= tolerance * max(sumsq, 1e-30)
    }
}
