package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jikimi/jikimi/record"
)

// jsonl reads the canonical format: one access record per line, strictly
// (unknown fields are rejected, see record.Parse). Blank lines are skipped.
type jsonl struct{}

var _ Parser = jsonl{}

func newJSONL(Options) (Parser, error) { return jsonl{}, nil }

func (jsonl) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	rec, err := record.Parse(line)
	if err != nil {
		return fieldError(lineNo, err)
	}
	emit(&rec, lineNo)
	return nil
}

func (jsonl) Flush(EmitFunc) {}

// decodeJSONError names the field of an encoding/json error where it can.
func decodeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &record.FieldError{Field: te.Field, Reason: "expected " + te.Type.String() + ", got JSON " + te.Value}
	}
	return &record.FieldError{Field: "(line)", Reason: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}
