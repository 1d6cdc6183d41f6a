import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

@Test func errorCodesMatchTheCHeader() {
    #expect(HQTError.Code.noMoney.rawValue == 7)
    #expect(HQTError.Code.walCorrupt.rawValue == 17)
}
