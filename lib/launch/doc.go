// Package launch is what starting a command takes, whoever starts it: the
// file exec will run, resolved as a shell would and held open (so that
// what is recorded is what ran), the environment the command gets, the
// descriptors it must not inherit, why it could not be started (with a
// shell's status), and, for the unrecorded runs, the command confined in
// place of this process.
//
// It holds nothing of a session, so the small in-place program of
// `nono run --no-audit` (lib/inplace) links it without the supervisor.
package launch
