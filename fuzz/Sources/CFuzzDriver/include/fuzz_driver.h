// libFuzzer's entry for programs that keep their own main (SwiftPM gives
// every executable target one): LLVMFuzzerRunDriver parses the usual libFuzzer
// flags from argv and calls `callback` once per input. It is defined by the
// libFuzzer runtime that `-sanitize=fuzzer` links in.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
