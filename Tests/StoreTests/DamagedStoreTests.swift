import Foundation
import Store
import Testing
import TestSupport

/// Issue 15: a damaged database is refused before anything is written to it; a directory as the database is named.
@Suite struct DamagedStoreTests {
    @Test func damagedPageFailsQuickCheckBeforeAnyWrite() throws {
        let dir = try TestPaths.tempDir("store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lisa.sqlite").path
        do { _ = try LisaStore(path: path) }  // schema written, then closed
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        let last = bytes.count / pageSize - 1
        // The last page is a b-tree page of the schema (its type byte 2, 5, 10 or 13); 0 is no page type at all.
        try #require([2, 5, 10, 13].contains(bytes[last * pageSize]))
        bytes[last * pageSize] = 0
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try LisaStore(path: path); Issue.record("a damaged database was opened for writing")
        } catch let e as StoreError {
            guard case let .damaged(p, problems) = e else { Issue.record("\(e)"); return }
            #expect(p == path && !problems.isEmpty)
            #expect(e.description.hasPrefix("The study database \(path) is damaged (PRAGMA quick_check: "))
            #expect(e.description.hasSuffix("nothing was written to it. Restore a backup or give a new --db file."))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    @Test func directoryAsTheDatabaseIsNamed() throws {
        let dir = try TestPaths.tempDir("store")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: StoreError.cannotOpen(path: dir.path, reason: "it is a directory, not a database file")) {
            try LisaStore(path: dir.path)
        }
    }

    @Test func notADatabaseIsNamed() throws {
        let dir = try TestPaths.tempDir("store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.sqlite").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        do { _ = try LisaStore(path: path); Issue.record("a text file was opened as a database") } catch {
            #expect("\(error)".hasPrefix("The study database \(path) "), "\(error)")
        }
    }
}

import GRDB

/// SQLite errors that reach the user later in a run name the database opened.
@Suite struct StoreErrorSentenceTests {
    @Test func sqliteErrorNamesTheDatabase() throws {
        let dir = try TestPaths.tempDir("store")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try LisaStore(path: dir.appendingPathComponent("lisa.sqlite").path)
        let e = DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
        // The database named is the one this process opened last: this test's in a CLI run (one database per process);
        // under parallel tests another suite's may have been opened since, so only the shape is exact here.
        let text = try #require(LisaStore.sentence(for: e))
        #expect(
            text.hasPrefix("The study database /")
                && text.hasSuffix(".sqlite: SQLite error 13: database or disk is full."), "\(text)")
        #expect(LisaStore.sentence(for: StoreError.badBlob(bytes: 3)) == nil)
    }
}
