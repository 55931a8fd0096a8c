package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/huella/huella/internal/register"
)

// Key families. Every key starts with one of these bytes; the families never
// overlap, so the sorted tables of one load are disjoint per family.
const (
	famIndex   = 'i' // 'i' field value 0x00 pid → (empty)
	famMeta    = 'm' // 'm' name → meta value
	famVersion = 'v' // 'v' pid from tag → version record or closure
)

// Tags after a version key's pid and valid_from.
const (
	tagRecord  = 0 // value: valid_to (4 bytes) + encoded record
	tagClosure = 1 // value: valid_to (4 bytes); overrides the record's valid_to
)

// Meta keys.
var (
	metaFormat = []byte("mformat")
	metaSchema = []byte("mschema")
	metaState  = []byte("mstate")
	metaLoad   = []byte("mload/") // + 8-byte load sequence number
)

// putDate appends d so that byte order is numeric order (sign bit flipped).
func putDate(b []byte, d register.Date) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(d)^0x80000000)
}

func getDate(b []byte) register.Date {
	return register.Date(int32(binary.BigEndian.Uint32(b) ^ 0x80000000))
}

// versionKey is 'v' pid(8, big-endian) valid_from(4) tag(1): 14 bytes.
func versionKey(b []byte, pid uint64, from register.Date, tag byte) []byte {
	b = append(b, famVersion)
	b = binary.BigEndian.AppendUint64(b, pid)
	b = putDate(b, from)
	return append(b, tag)
}

const versionKeyLen = 14

// parseVersionKey splits a version key.
func parseVersionKey(k []byte) (pid uint64, from register.Date, tag byte, ok bool) {
	if len(k) != versionKeyLen || k[0] != famVersion {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint64(k[1:9]), getDate(k[9:13]), k[13], true
}

// indexKey is 'i' field(1) value 0x00 pid(8). Values never hold NUL (the
// reader refuses it), so the prefix 'i' field value 0x00 selects one value.
func indexKey(b []byte, field int, value string, pid uint64) []byte {
	b = indexPrefix(b, field, value)
	return binary.BigEndian.AppendUint64(b, pid)
}

func indexPrefix(b []byte, field int, value string) []byte {
	b = append(b, famIndex, byte(field))
	b = append(b, value...)
	return append(b, 0)
}

// encodeRecord appends the record: for each field in schema order, its
// length as a uvarint and its bytes.
func encodeRecord(b []byte, rec register.Record) []byte {
	for _, f := range rec {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

var errCorrupt = errors.New("store: corrupt record")

// DecodeRecordView fills rec (len = the schema's fields) from a record
// encoded as the store keeps it (what FreshSink.Version is given), without
// copying: the fields point into b and are valid only while b is unchanged.
func DecodeRecordView(b []byte, rec register.Record) error {
	return decodeInto(unsafe.String(unsafe.SliceData(b), len(b)), b, rec)
}

// decodeRecord fills rec (len = number of fields) from an encoded record.
// All fields share one string allocation.
func decodeRecord(b []byte, rec register.Record) error { return decodeInto(string(b), b, rec) }

// decodeInto fills rec from b, whose bytes s holds.
func decodeInto(s string, b []byte, rec register.Record) error {
	p := 0
	for i := range rec {
		n, k := binary.Uvarint(b[p:])
		if k <= 0 || uint64(len(b)-p-k) < n {
			return fmt.Errorf("%w: field %d", errCorrupt, i+1)
		}
		p += k
		rec[i] = s[p : p+int(n)]
		p += int(n)
	}
	if p != len(b) {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(b)-p)
	}
	return nil
}

// decodeField returns field i of an encoded record without decoding the rest.
func decodeField(b []byte, i int) ([]byte, error) {
	p := 0
	for j := 0; ; j++ {
		n, k := binary.Uvarint(b[p:])
		if k <= 0 || uint64(len(b)-p-k) < n {
			return nil, fmt.Errorf("%w: field %d", errCorrupt, j+1)
		}
		p += k
		if j == i {
			return b[p : p+int(n)], nil
		}
		p += int(n)
	}
}
