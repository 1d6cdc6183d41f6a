// Empty: this target only exports include/fuzz_driver.h.
