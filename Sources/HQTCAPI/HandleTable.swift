import CHQTABI
import HQTCore
import Synchronization

/// C handles as generation-checked ids, the way Vulkan and sokol hand out
/// handles from pools.
///
/// The `hqt_engine *`, `hqt_broadcaster *` and `hqt_wal *` a C program holds
/// are not addresses but 64-bit values:
///
///     bits 63...56  kind tag (0xE1 engine, 0xB1 broadcaster, 0xA1 WAL)
///     bits 55...24  generation of the slot, 1 ... 2^32 - 1
///     bits 23...0   slot index + 1
///
/// The tag sets the top byte, so a handle is never NULL and never a
/// canonical user-space address (on x86-64 and AArch64 those are below
/// 2^48): a program that dereferences one faults at once, and an address or
/// another kind's handle passed where this kind is expected has the wrong
/// tag. A call looks the handle up here: a tag compare, a bounds check, a
/// load of the slot's live generation and a compare, a load of the object.
/// Destroying frees the slot and bumps its generation, so a stale or
/// doubly destroyed handle, even once its slot holds a new object, never
/// matches: it is HQT_E_INVALID_ARGUMENT, never undefined behaviour, never
/// another object. A slot whose generation reaches 2^32 - 1 is retired,
/// never reused, so generations do not wrap.
///
/// Threads: insert and remove take a mutex; lookup takes no lock (slots
/// live in fixed chunks that are never moved or freed, and their fields are
/// atomics), so handles of one kind may be created, used and destroyed
/// concurrently from several threads as long as each handle is used from
/// one thread at a time (hqt.h).
final class HandleTable<Object: AnyObject>: @unchecked Sendable {
    /// Live handles of one kind at most (2^20).
    static var capacity: Int { 1 << 20 }
    private static var chunkShift: Int { 10 }
    private static var chunkSize: Int { 1 << chunkShift }
    private static var chunkCount: Int { capacity >> chunkShift }

    /// One slot: the generation of the handle living in it (0 while free),
    /// the last generation handed out (changed under the lock only), and the
    /// retained object's address.
    private struct Slot: ~Copyable {
        let live: Atomic<UInt32>
        let last: Atomic<UInt32>
        let object: Atomic<UInt>
    }

    private struct FreeList {
        /// Freed slots, reused last-in first-out.
        var free: [Int] = []
        /// Slots ever used (the high-water mark): indexes below this have a chunk.
        var used = 0
    }

    /// The top byte of every handle of this kind.
    let tag: UInt
    /// The C type name, for messages ("hqt_engine").
    let typeName: String
    /// The argument name in messages ("engine").
    let argument: String
    /// Chunk addresses (0 = not allocated yet); published with release
    /// ordering once the chunk is initialized, never changed afterwards.
    private let chunks: UnsafeMutablePointer<Atomic<UInt>>
    private let state = Mutex(FreeList())

    init(tag: UInt8, typeName: String, argument: String) {
        self.tag = UInt(tag)
        self.typeName = typeName
        self.argument = argument
        chunks = .allocate(capacity: Self.chunkCount)
        for i in 0..<Self.chunkCount { (chunks + i).initialize(to: Atomic(0)) }
    }

    // Tables are globals: never deinitialized.

    @inline(__always)
    private func slot(_ index: Int, chunk: UInt) -> UnsafeMutablePointer<Slot> {
        UnsafeMutablePointer<Slot>(bitPattern: chunk).unsafelyUnwrapped + (index & (Self.chunkSize - 1))
    }

    /// The object behind a live handle of this kind, or nil for NULL, a
    /// foreign value, another kind's handle or a destroyed one. Never
    /// dereferences the handle.
    @inline(__always)
    func lookup(_ handle: OpaquePointer?) -> Unmanaged<Object>? {
        let bits = UInt(bitPattern: handle)
        guard bits >> 56 == tag else { return nil }
        let index = Int(bitPattern: bits & 0xFF_FFFF) &- 1
        guard index >= 0, index < Self.capacity else { return nil }
        let chunk = chunks[index >> Self.chunkShift].load(ordering: .acquiring)
        guard chunk != 0 else { return nil }
        // Generation 0 marks a free slot: no handle carries it, so a forged
        // one must not match (it would load the free slot's null object).
        let generation = UInt32(truncatingIfNeeded: bits >> 24)
        guard generation != 0 else { return nil }
        let s = slot(index, chunk: chunk)
        guard s.pointee.live.load(ordering: .acquiring) == generation else { return nil }
        return Unmanaged.fromOpaque(
            UnsafeRawPointer(bitPattern: s.pointee.object.load(ordering: .relaxed)).unsafelyUnwrapped)
    }

    /// The object behind `handle`, or HQT_E_INVALID_ARGUMENT saying why not.
    @inline(__always)
    func object(_ handle: OpaquePointer?) throws(HQTError) -> Object {
        guard let found = lookup(handle) else { throw invalidHandle(handle) }
        return found.takeUnretainedValue()
    }

    /// The error for a handle `lookup` refused.
    @inline(never)
    func invalidHandle(_ handle: OpaquePointer?) -> HQTError {
        guard let handle else { return HQTError(.invalidArgument, "\(argument) is NULL") }
        let hex = String(UInt(bitPattern: handle), radix: 16)
        return HQTError(
            .invalidArgument,
            "\(argument) 0x\(hex) is not a live \(typeName) handle (destroyed or foreign)")
    }

    /// Stores `object` (retained by the table) and returns its new handle.
    func insert(_ object: Object) throws(HQTError) -> OpaquePointer {
        let raw = UInt(bitPattern: Unmanaged.passRetained(object).toOpaque())
        let bits: UInt? = state.withLock { list -> UInt? in
            let index: Int
            if let reused = list.free.popLast() {
                index = reused
            } else {
                guard list.used < Self.capacity else { return nil }
                index = list.used
                list.used += 1
                if index & (Self.chunkSize - 1) == 0 { allocateChunk(index >> Self.chunkShift) }
            }
            let chunk = chunks[index >> Self.chunkShift].load(ordering: .relaxed)
            let s = slot(index, chunk: chunk)
            let generation = s.pointee.last.load(ordering: .relaxed) + 1  // < 2^32: exhausted slots are retired
            s.pointee.last.store(generation, ordering: .relaxed)
            s.pointee.object.store(raw, ordering: .relaxed)
            s.pointee.live.store(generation, ordering: .releasing)
            return tag << 56 | UInt(generation) << 24 | UInt(index + 1)
        }
        guard let bits else {
            Unmanaged<Object>.fromOpaque(UnsafeRawPointer(bitPattern: raw).unsafelyUnwrapped).release()
            throw HQTError(.state, "too many live \(typeName) handles (\(Self.capacity)): destroy some first")
        }
        return OpaquePointer(bitPattern: bits).unsafelyUnwrapped
    }

    private func allocateChunk(_ i: Int) {
        let chunk = UnsafeMutablePointer<Slot>.allocate(capacity: Self.chunkSize)
        for j in 0..<Self.chunkSize {
            (chunk + j).initialize(to: Slot(live: Atomic(0), last: Atomic(0), object: Atomic(0)))
        }
        chunks[i].store(UInt(bitPattern: chunk), ordering: .releasing)
    }

    /// Frees the slot of a live handle and returns its object (the table's
    /// reference, now the caller's). `check` runs under the lock before
    /// anything changes; if it throws, the handle stays live.
    func remove(
        _ handle: OpaquePointer?, check: (Object) throws(HQTError) -> Void = { _ throws(HQTError) in }
    ) throws(HQTError) -> Object {
        let raw: UInt = try state.withLock { list throws(HQTError) -> UInt in
            guard let found = lookup(handle) else { throw invalidHandle(handle) }
            try check(found.takeUnretainedValue())
            let index = Int(bitPattern: UInt(bitPattern: handle) & 0xFF_FFFF) - 1
            let s = slot(index, chunk: chunks[index >> Self.chunkShift].load(ordering: .relaxed))
            s.pointee.live.store(0, ordering: .releasing)
            let raw = s.pointee.object.load(ordering: .relaxed)
            s.pointee.object.store(0, ordering: .relaxed)
            if s.pointee.last.load(ordering: .relaxed) < UInt32.max { list.free.append(index) }
            return raw
        }
        return Unmanaged<Object>.fromOpaque(UnsafeRawPointer(bitPattern: raw).unsafelyUnwrapped).takeRetainedValue()
    }
}
