// Package binarytest holds the tests that build and run the real convene
// binary: zero-configuration start, graceful shutdown, SIGKILL crash
// safety, start-up faults, the backup/export/doctor commands and the
// start-up benchmark. It has no code of its own; the tests live here so
// that the top level of the repository stays the program itself.
package binarytest
