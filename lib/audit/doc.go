// Package audit verifies a whole recorded session: its event log
// against session.json (counts, chain head, Merkle root, a whole
// recording from session_started to session_ended), its ledger entry,
// and its attestation. It composes lib/chain, lib/ledger and lib/attest
// over a session found by lib/session's store.
package audit
