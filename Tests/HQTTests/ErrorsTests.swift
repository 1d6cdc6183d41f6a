import Testing
@testable import HQT

@Test func errorCodesMatchTheCHeader() {
    #expect(HQTError.Code.noMoney.rawValue == 7)
    #expect(HQTError.Code.walCorrupt.rawValue == 17)
}
