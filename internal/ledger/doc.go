// Package ledger is huella's tamper-evident log of releases and analyses: an
// append-only Merkle log built on golang.org/x/mod/sumdb/tlog (RFC 6962
// hashing, stored hashes, inclusion and consistency proofs) whose tree heads
// are signed as golang.org/x/mod/sumdb/note notes (Ed25519).
//
// A ledger is one folder that can be copied and verified on its own. It holds
// four files, all text, each starting with a line that names its format and
// version; every line, the last included, ends in "\n" (0x0A), and no other
// control bytes occur:
//
//	key.pub       the verifier key
//	entries       the records, one canonical JSON line each
//	hashes        tlog's stored hashes of the records
//	checkpoints   every signed tree head, from size 0 up to the current size
//
// plus, only while an append is in progress (or after a crash during one),
// a write-ahead journal named "pending". The private signer key is kept
// elsewhere (the workspace's keys/ledger.key, mode 0600), never in the folder.
//
// # key.pub
//
//	huella ledger key v1
//	huella-ledger+65a70f8e+AZFl6g3rCPag0yMabQHGkcRMRb4aR/3JQ1c4ebYiUc1V
//
// Line 2 is a note verifier key "NAME+HASH+KEY": the key name, the 32-bit key
// hash as 8 lower-case hex digits and base64 (standard, padded) of the byte
// 0x01 followed by the 32-byte Ed25519 public key. The file must equal its
// canonical re-encoding byte for byte.
//
// # entries
//
//	huella ledger entries v1
//	{"id":"r-2018-pri","kind":"release","time":"2026-11-27T01:00:00Z","recipient":"PRI","as_of":"2018-03-31",
//	 "fields":["nombre","apellido_paterno","apellido_materno","seccion"],"format":"csv","rows":1000,
//	 "sha256":"00...00","fingerprint":{"carriers":["abbrev","order"]},"details":{"note":"\u003cx\u003e"}}
//
// (shown folded; in the file each entry is one line).
//
// Line k+2 (1-based) is record k (0-based). A record is exactly the bytes of
// its line without the final "\n": the output of encoding/json.Marshal of an
// [Entry], which writes the fields in the struct's order
//
//	id, kind, time, recipient, as_of, fields, format, rows, sha256, fingerprint, details
//
// omitting recipient, as_of, fields, format, sha256, fingerprint and details
// when empty, with no spaces, HTML characters escaped (\u003c, \u003e,
// \u0026) and fingerprint/details compacted. A line that is not its own
// re-encoding (decode into an Entry, encode again) is rejected, so one entry
// has exactly one byte form. IDs are unique; kind is "release" or "analysis";
// time is RFC 3339 in UTC ("Z"); rows ≥ 0.
//
// # hashes
//
//	huella ledger hashes v1
//	tgv4I3O4KOOWS1ijx7qyuZAMkCETAyh5cscQYEFM3ZQ=
//	WfrIJ6hDhDscntMBwNElrEs4bF4JQ5piNB9tWOoAf7Q=
//	...
//
// Line i+2 is tlog stored hash i (see tlog.StoredHashIndex) in base64
// (standard, padded, 44 characters). After N records there are exactly
// tlog.StoredHashCount(N) lines. The record hash of record k is
// tlog.RecordHash(record) = SHA-256(0x00 ‖ record), interior nodes are
// SHA-256(0x01 ‖ left ‖ right).
//
// # checkpoints
//
//	huella ledger checkpoints v1
//	go.sum database tree
//	0
//	47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
//
//	— huella-ledger ZacPjnh8PbLu6OeDA9MwPXBjjYlQUzk/s4u/RBK6bwuYmifca858DH/OlYNLwBWhsn8XO+vE7ZgFZRkuDhttpZwDIQI=
//	go.sum database tree
//	1
//	tgv4I3O4KOOWS1ijx7qyuZAMkCETAyh5cscQYEFM3ZQ=
//
//	— huella-ledger ZacPjqTm9qAneWyy/yAIrdicH9qjRyA4xvs0kY7CAfXmmQIeaAcPplQacO+SAXxtw3ubaMCLoMWXqxiZwhqBwub8egw=
//	...
//
// Checkpoint k (0-based) signs the tree of size k and takes lines 5k+2 to
// 5k+6: a signed note whose text is tlog.FormatTree (the line "go.sum
// database tree", the tree size in decimal, the tree hash in base64), a blank
// line, and exactly one signature line "— NAME BASE64" where BASE64 encodes
// the 4-byte big-endian key hash followed by the 64-byte Ed25519 signature of
// the text. The text keeps tlog's own first line so that any tlog/note tool
// can check it; the signer name (the ledger's key) tells what log it is.
// After N records there are exactly N+1 checkpoints: one per size, never
// rewritten, so every tree head ever signed stays on record.
//
// # pending
//
//	huella ledger pending v1
//	entries 1234 eyJpZCI6...
//	hashes 567 bjQLnP+z...
//	checkpoints 890 Z28uc3Vt...
//
// One line per file: its size before the append and base64 of the bytes the
// append adds to it.
//
// # Appending, crashes and concurrency
//
// Append encodes the entry, computes its stored hashes (tlog.StoredHashes) and
// the new tree hash (tlog.TreeHash), signs the new checkpoint, then:
//
//  1. writes the journal under a temporary name, fsyncs it, renames it to
//     "pending" and fsyncs the folder;
//  2. writes the new bytes at the old end of entries, hashes and checkpoints,
//     fsyncing each;
//  3. removes "pending" and fsyncs the folder: the append is committed.
//
// Opening a ledger for writing while "pending" exists means a crash between 1
// and 3: the three files are cut back to the sizes the journal names and the
// journal removed, so a crash at any point leaves the old ledger or the new
// one. A read-only open does not repair: it reads each file only up to the
// journal's sizes. A torn or altered file without a journal is not repaired
// but reported: a crash cannot produce one.
//
// Every operation takes an flock on the folder (exclusive to append, shared to
// read), and a writer that finds the files changed by another process reloads
// them before appending; within a process a mutex serialises goroutines. Two
// appends at once therefore both land, one after the other.
//
// # Verification
//
// Verify re-reads the folder and checks, naming the file and line of the
// first problems: the formats above; that each record re-hashes to its stored
// hash and that all stored hashes recompute from the records; that every
// checkpoint carries a valid signature by key.pub's key, in canonical form,
// for the tree of its size; that its tree hash is the one recomputed from the
// records; and that each checkpoint is consistent with the one before it
// (tlog.ProveTree / tlog.CheckTree). A change to any byte of any file fails
// one of these checks (the tests flip every byte of a small ledger).
//
// What it cannot see: the whole folder replaced by another one signed with a
// new key (compare key.pub with the key published when the ledger was made),
// or the newest records cut off together with their checkpoints. For the
// latter, keep checkpoints outside the ledger (every proof and evidence report
// carries one) and check them with CheckCheckpoint: the ledger must still hold
// the tree each one signs.
//
// # Proofs
//
// Prove returns a [Proof], a JSON document that shows offline that an entry
// is record INDEX of the tree signed by the latest checkpoint:
//
//	{
//	  "format": "huella ledger proof v1",
//	  "entry": "{\"id\":\"r-2018-pan\",\"kind\":\"release\",...}",
//	  "index": 1,
//	  "tree_size": 3,
//	  "inclusion": [
//	    "tgv4I3O4KOOWS1ijx7qyuZAMkCETAyh5cscQYEFM3ZQ=",
//	    "/C7PuyFBejgO7WwlfkjhERRgW9TA5jGAa6FeAaP+cAk="
//	  ],
//	  "checkpoint": "go.sum database tree\n3\nRKD490cQ...HfTE=\n\n— huella-ledger ZacPjtki...KQ0=\n",
//	  "verifier_key": "huella-ledger+65a70f8e+AZFl6g3rCPag0yMabQHGkcRMRb4aR/3JQ1c4ebYiUc1V"
//	}
//
// VerifyProof checks the checkpoint's signature with the verifier key (which
// the reader compares with the published key.pub), parses the tree and runs
// tlog.CheckRecord over tlog.RecordHash(entry) and the inclusion hashes.
package ledger
