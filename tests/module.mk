# tests/: the unit-test programs are registered by the modules they test.
