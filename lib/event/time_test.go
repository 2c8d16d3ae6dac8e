package event

import (
	"testing"
	"time"
)

func TestFormatTimeFractions(t *testing.T) {
	zone := time.FixedZone("x", 2*3600)
	cases := []struct {
		ns   int
		want string
	}{
		{0, "2026-04-21T20:00:00+02:00"},
		{123_000_000, "2026-04-21T20:00:00.123+02:00"},
		{123_400_000, "2026-04-21T20:00:00.123400+02:00"},
		{123_456_789, "2026-04-21T20:00:00.123456789+02:00"},
		{1_000, "2026-04-21T20:00:00.000001+02:00"},
		{1, "2026-04-21T20:00:00.000000001+02:00"},
	}
	for _, c := range cases {
		got := FormatTime(time.Date(2026, 4, 21, 20, 0, 0, c.ns, zone))
		if got != c.want {
			t.Errorf("ns=%d: got %s want %s", c.ns, got, c.want)
		}
	}
	if got := FormatTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); got != "2026-01-01T00:00:00+00:00" {
		t.Errorf("UTC: got %s", got)
	}
}

func TestParseTime(t *testing.T) {
	a, err := ParseTime("2026-04-21T20:00:00.5+02:00")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseTime("2026-04-21T18:00:00.5Z")
	if !a.Equal(b) {
		t.Fatal("offsets not compared as instants")
	}
	c, err := ParseTime("1776855600")
	if err != nil || c.Unix() != 1776855600 {
		t.Fatalf("epoch: %v %v", c, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Fatal("accepted garbage")
	}
}
