/// What `recoverFromWAL` did.
public struct RecoveryReport: Sendable, Equatable {
    /// Records applied on top of the checkpoint.
    public var recordsReplayed: Int = 0
    /// Records of the last, possibly unfinished event, dropped so that the
    /// event is processed again (deterministically) when the run resumes.
    public var recordsDiscarded: Int = 0
    /// Sequence number of the checkpoint recovery started from.
    public var checkpointSequence: UInt64 = 0
    /// Events processed by the recovered state, and the time of the last one.
    public var eventsProcessed: Int64 = 0
    public var lastEventTime: Int64 = 0
    /// Torn tail cut when the log was opened.
    public var tornBytesDropped: Int = 0
    public var tornRecordsDropped: Int = 0
    /// Whether the loaded data was re-walked (exact statistics) or records
    /// were applied directly (no data loaded).
    public var replayedOverData = false
}

/// The write-ahead log, seen from the engine: every change is journaled
/// before it is applied (`commit`), checkpoints carry full snapshots, and
/// recovery is the last snapshot plus the records after it.
extension Engine {
    public var isWALEnabled: Bool { journal != nil }
    public var walPath: String? { journal?.path }

    /// Starts journaling into `journal` (HQTWAL's `enableWAL` opens one).
    /// `hasRecords`: the journal already holds records of an earlier run:
    /// trading is then refused until `recoverFromWAL()`. Otherwise it
    /// starts with a checkpoint of the current state.
    public func attachJournal(_ journal: any EngineJournal, hasRecords: Bool, checkpointEvery: Int) throws(HQTError) {
        try checkJournalCanAttach(checkpointEvery: checkpointEvery)
        self.checkpointEvery = checkpointEvery
        if hasRecords {
            walNeedsRecovery = true
        } else {
            historyMarks = nil
            try writeCheckpoint(journal)
            walNeedsRecovery = false
        }
        self.journal = journal
        recordsSinceCheckpoint = 0
    }

    /// Why a journal cannot be attached now, if it cannot (also asked by
    /// `enableWAL` before it touches the file).
    package func checkJournalCanAttach(checkpointEvery: Int) throws(HQTError) {
        try checkNotRunning("enable the WAL")
        if let current = journal {
            throw HQTError(.state, "the WAL is already enabled (\(current.path)); disable it first")
        }
        guard checkpointEvery >= 1 else { throw HQTError(.invalidArgument, "checkpoint_every must be >= 1") }
    }

    /// Takes a final checkpoint and closes the journal.
    public func disableWAL() throws(HQTError) {
        try checkNotRunning("disable the WAL")
        guard let log = journal else { return }
        defer { journal = nil; walNeedsRecovery = false }
        if !walNeedsRecovery { try writeCheckpoint(log) }
        try log.close()
    }

    /// Writes a checkpoint now (between events only).
    public func checkpoint() throws(HQTError) {
        guard let log = journal else { throw HQTError(.state, "the WAL is not enabled") }
        guard phase == .between || !(isRunning || inEvent) else {
            throw HQTError(
                .busy, "a checkpoint can only be taken between events (not inside an event, on_start or on_stop)")
        }
        guard !walNeedsRecovery else { throw needsRecoveryError() }
        try writeCheckpoint(log)
    }

    func checkpointIfDue() throws(HQTError) {
        guard let log = journal, recordsSinceCheckpoint >= checkpointEvery, !walNeedsRecovery else { return }
        try writeCheckpoint(log)
    }

    /// Appends a CHECKPOINT carrying the snapshot (synced, whatever the
    /// policy). During a run it carries the strategy's own state too, when
    /// the strategy saves one; `strategyState` overrides (compaction keeps
    /// the recovered one).
    func writeCheckpoint(_ log: any EngineJournal, strategyState: [UInt8]? = nil) throws(HQTError) {
        var state = strategyState ?? []
        if strategyState == nil, !isRunning, let pending = recoveredStrategyState {
            // Recovered but not resumed yet: the point to resume from stays.
            state = pending
        } else if strategyState == nil, isRunning, !warmingUp, let save = hooks.saveState {
            state = StrategyCheckpoint(
                feedPosition: feedPosition, events: eventsProcessed, deals: [],
                state: try save(self)
            ).encoded()
            // The run's last checkpoint: later ones (disable_wal, shutdown)
            // keep the strategy's final state until another run starts.
            finalStrategyState = runStage == .completed ? state : nil
        } else if strategyState == nil, !isRunning, runStage == .completed, let final = finalStrategyState {
            state = final
        }
        let estimate =
            4096 + deals.count * 96 + orderHistory.count * 92 + trades.count * 76
            + equityCurve.count * 32 + openPositions.count * 88 + orders.count * 92 + state.count
        let w = ByteWriter(capacity: estimate)
        writeSnapshot(into: w, strategyState: state)
        try log.checkpoint(snapshot: w.buffer)
        recordsSinceCheckpoint = 0
        historyMarks = HistoryMarks(
            orderHistory: orderHistory.count, deals: deals.count, trades: trades.count,
            equityCurve: equityCurve.count)
    }

    func needsRecoveryError() -> HQTError {
        HQTError(
            .state,
            "the WAL \(journal?.path ?? "") holds records from an earlier run: call recover_from_wal() first, or enable it with truncate=True to start over"
        )
    }

    /// Writes the record of a change before it is applied (nothing while
    /// replaying: the record is already in the journal).
    func writeAhead(_ op: LedgerOp) throws(HQTError) {
        guard let log = journal, !replaying else { return }
        guard !walNeedsRecovery else { throw needsRecoveryError() }
        journalWriter.reset()
        let type = LedgerRecord(event: eventsProcessed, phase: phase, time: now, op: op).encode(into: journalWriter)
        try log.append(type: type.rawValue, data: journalWriter.buffer, insideRun: isRunning)
        recordsSinceCheckpoint += 1
    }

    // MARK: recovery

    /// Restores the state after the last durable operation: the last
    /// checkpoint, then every record after it. With the same data loaded as
    /// when the log was written, the data is re-walked up to that point so
    /// quotes, bars in progress, the equity curve and drawdown come out
    /// exactly as they were; a following `run(resume: true)` continues after
    /// it. The log is then compacted to a fresh checkpoint.
    ///
    /// Loaded data must be the data the log was written over (fingerprints
    /// in the checkpoint, DataFingerprint.swift) and reach its last record;
    /// else the recovery is refused, naming the series and where it differs,
    /// with nothing changed. `acceptChangedData` replays the log over the
    /// loaded data as it is, for data changed on purpose.
    @discardableResult
    public func recoverFromWAL(acceptChangedData: Bool = false) throws(HQTError) -> RecoveryReport {
        try checkNotRunning("recover from the WAL")
        guard let log = journal else {
            throw HQTError(.state, "enable the WAL first: enable_wal(path) then recover_from_wal()")
        }
        let records = try log.records()
        var report = RecoveryReport()
        report.tornBytesDropped = log.tornTail.bytes
        report.tornRecordsDropped = log.tornTail.records
        guard let c = records.lastIndex(where: { $0.type == LedgerRecordType.checkpoint.rawValue }) else {
            guard records.isEmpty else {
                throw HQTError(
                    .walCorrupt,
                    "\(log.path) holds \(records.count) records but no checkpoint: it was not written by an HQT engine")
            }
            walNeedsRecovery = false
            return report
        }
        // Decode everything before touching the state.
        var ledger: [LedgerRecord] = []
        for r in records[(c + 1)...] {
            let record = try LedgerRecord.decode(type: r.type, data: r.data, sequence: r.sequence)
            try checkSymbols(of: record.op, sequence: r.sequence)
            ledger.append(record)
        }
        // The last event may have stopped half-way: drop its records and
        // let the resumed run process it again.
        let all = ledger
        report.recordsDiscarded = Engine.dropUnfinishedUnit(&ledger)
        let restartModel = Engine.restartModel(in: all[ledger.count...])
        report.checkpointSequence = records[c].sequence
        let base = try history(before: c, in: records)
        let strategyState = try restore(
            snapshot: records[c].data, sequence: records[c].sequence, base: base,
            lastRecordEvent: ledger.map(\.event).max() ?? 0, acceptChangedData: acceptChangedData)
        // Where a resumed run re-feeds from: the strategy's own checkpoint
        // when it saved one; else this snapshot — which, taken before the
        // run started, is the run's start: a fresh strategy object is then
        // the state to re-feed into. Plus every deal made since, so the
        // re-feed can deliver on_trade where it first happened.
        var point = strategyState.isEmpty ? nil : StrategyCheckpoint.decode(strategyState)
        if point == nil || point!.events < 0 {
            point = StrategyCheckpoint(
                fromRunStart: point == nil && runStage != .running,
                feedPosition: point?.feedPosition ?? feed.position, events: eventsProcessed,
                deals: [], state: point?.state ?? [])
        }
        for r in ledger {
            if case .fill(let f) = r.op {
                point!.deals.append(
                    StrategyCheckpoint.DealMark(
                        event: r.event, phase: r.phase, time: r.time,
                        ticket: f.deal.ticket))
            }
        }
        resumePoint = point
        report.recordsReplayed = ledger.count
        replayJournal(ledger, report: &report)
        // A saved state, or a run that started after this checkpoint: the
        // compacted log keeps the point (and the deals since) for a second
        // recovery.
        let keep = resumePoint.map { !$0.state.isEmpty || ($0.fromRunStart && runStage == .running) } ?? false
        recoveredStrategyState = keep ? resumePoint!.encoded() : nil
        walNeedsRecovery = false
        if let restartModel { requestedTickModel = restartModel }
        // Compact: the log now starts at the recovered state (a full
        // checkpoint), so dropped records can never be applied again.
        historyMarks = nil
        try writeCheckpoint(log, strategyState: recoveredStrategyState ?? [])
        try log.compact()
        report.eventsProcessed = eventsProcessed
        report.lastEventTime = now
        return report
    }

    /// Applies `ledger` on top of the restored snapshot, re-walking the
    /// loaded data when there is any. This is the journal's replay mode:
    /// while `replay` is set, the points where the engine would decide
    /// (triggers, stop-out, callbacks) apply the journaled records instead,
    /// and sinks are not told again.
    private func replayJournal(_ ledger: [LedgerRecord], report: inout RecoveryReport) {
        replay = ReplayQueue(records: ledger)
        sinkSet.silence(true)
        rebuildTriggerIndex()
        accountState.updateMarginCheckEquity(replaying: true)
        defer {
            replay = nil
            sinkSet.silence(false)
            phase = .between
            rebuildTriggerIndex()
            accountState.updateMarginCheckEquity(replaying: false)
            refreshFloatingProfit()
        }
        applyReplayedBetween()
        while let next = replay?.peek, pendingEventCount > 0 {
            if next.event <= eventsProcessed {
                // A record the data cannot place (written by process_event
                // with other data): apply it where it stands.
                applyNextReplayed()
                continue
            }
            guard (try? processNextLoadedEvent(onTick: nil)) == true else { break }
            report.replayedOverData = true
            applyReplayed(phase: .callbacks)
            phase = .between
            applyReplayedBetween()
        }
        // Records beyond the loaded data (or with none loaded): apply
        // directly, at the checkpoint's prices.
        applyingWithoutPrices = !report.replayedOverData && replay?.peek != nil
        defer { applyingWithoutPrices = false }
        while let r = replay?.peek {
            eventsProcessed = max(eventsProcessed, r.event)
            currentTime = max(currentTime, r.time)
            applyNextReplayed()
        }
        // Every rollover up to the recovered clock was charged (Engine+Swaps).
        if currentTime != .min { nextRollover = Engine.rollover(after: currentTime, at: rolloverTime) }
        nextTimedWork = .min
    }

    /// The log may end inside a unit of work a crash interrupted: a market
    /// event, a run's on_start, or its end (closing bars, on_stop). Its
    /// records are dropped, and the resumed run does that unit again,
    /// deterministically. Returns how many were dropped.
    static func dropUnfinishedUnit(_ ledger: inout [LedgerRecord]) -> Int {
        guard let last = ledger.last else { return 0 }
        let before = ledger.count
        func isMark(_ r: LedgerRecord, _ stage: RunStage) -> Bool {
            if case .runMark(let s, _, _) = r.op { return s == stage }
            return false
        }
        switch last.phase {
        case .between:
            break
        case .start, .endOfRun, .stop:
            let opening: RunStage = last.phase == .start ? .starting : .ending
            if let i = ledger.lastIndex(where: { isMark($0, opening) }) { ledger.removeSubrange(i...) }
        default:
            while let tail = ledger.last, tail.event == last.event, tail.phase.isInsideEvent { ledger.removeLast() }
        }
        return before - ledger.count
    }

    /// A record naming a symbol this engine does not have is corruption
    /// (a well-formed log of this configuration never holds one).
    private func checkSymbols(of op: LedgerOp, sequence: UInt64) throws(HQTError) {
        var ids: [UInt32] = []
        switch op {
        case .fill(let f):
            ids =
                [f.order.symbolID, f.deal.symbolID] + (f.position.map { [$0.symbolID] } ?? [])
                + (f.trade.map { [$0.symbolID] } ?? [])
        case .orderPlace(let o), .orderModify(let o): ids = [o.symbolID]
        case .buildBars(let id, _, _): ids = [id]
        case .positionModify, .orderRemove, .balance, .runMark, .swap: break
        }
        for id in ids where Int(id) >= symbols.count {
            throw HQTError(
                .walCorrupt, "WAL record \(sequence) names symbol \(id), but the engine has \(symbols.count)")
        }
    }

    private func applyNextReplayed() {
        guard let op = replay?.take()?.op else { return }
        apply(op)
        if case .runMark(.ending, true, _) = op {
            // The run closed its bars in progress here: so does the replay
            // (applying the records its on_bar calls made).
            let saved = phase
            phase = .endOfRun
            try? flushBuiltBars()
            phase = saved
        }
    }

    /// Applies the queued records of the current event and `phase` (and,
    /// for built bars, `time`).
    func applyReplayed(phase wanted: LedgerPhase, time: Int64? = nil) {
        let time = time ?? replayStepTime
        while let r = replay?.peek {
            guard r.event == eventsProcessed, r.phase == wanted, time == nil || r.time == time else { return }
            applyNextReplayed()
        }
    }

    /// Applies the records written between events (and by on_start, the
    /// end of a run and on_stop) that come before the next event.
    private func applyReplayedBetween() {
        while let r = replay?.peek {
            guard r.event <= eventsProcessed, !r.phase.isInsideEvent else { return }
            applyNextReplayed()
        }
    }
}

/// The journaled records recovery applies, in order.
struct ReplayQueue {
    private let records: [LedgerRecord]
    private var index = 0
    init(records: [LedgerRecord]) { self.records = records }
    var peek: LedgerRecord? { index < records.count ? records[index] : nil }
    mutating func take() -> LedgerRecord? {
        defer { index += 1 }
        return peek
    }
}
