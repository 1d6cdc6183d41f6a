import Testing
@testable import HQTCore
@testable import HQTWAL
@testable import HQTBroadcast

@Test func errorCodesMatchTheCHeader() {
    #expect(HQTError.Code.noMoney.rawValue == 7)
    #expect(HQTError.Code.walCorrupt.rawValue == 17)
}
