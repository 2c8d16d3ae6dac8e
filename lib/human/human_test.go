package human

import (
	"testing"
	"time"
)

func TestSize(t *testing.T) {
	cases := map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KB", 1536: "1.5 KB",
		5 << 20: "5.0 MB", 3 << 30: "3.0 GB", 2 << 40: "2048.0 GB",
	}
	for n, want := range cases {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAge(t *testing.T) {
	zone := time.FixedZone("X", 2*3600)
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, zone)
	cases := []struct {
		t    time.Time
		want string
	}{
		{now, "just now"},
		{now.Add(-59 * time.Second), "just now"},
		{now.Add(-time.Minute), "1m ago"},
		{now.Add(-59*time.Minute - 59*time.Second), "59m ago"},
		{now.Add(-time.Hour), "1h ago"},
		{now.Add(-23 * time.Hour), "23h ago"},
		{now.Add(-24 * time.Hour), "1d ago"},
		{now.Add(-6*24*time.Hour - 23*time.Hour), "6d ago"},
		{now.Add(-7 * 24 * time.Hour), "Jun 08 12:00"},
		// Shown in now's zone whatever the recorded offset.
		{time.Date(2026, 2, 1, 8, 30, 0, 0, time.UTC), "Feb 01 10:30"},
		{time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), "Jan 01 01:00"}, // the year of now's zone
		{time.Date(2024, 3, 4, 5, 6, 0, 0, zone), "2024-03-04 05:06"},
		// Future times are absolute.
		{now.Add(time.Minute), "Jun 15 12:01"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, zone), "2027-01-01 00:00"},
	}
	for _, c := range cases {
		if got := Age(c.t, now); got != c.want {
			t.Errorf("Age(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	cases := map[time.Duration]string{
		0: "0ms", 350 * time.Millisecond: "350ms", 999 * time.Millisecond: "999ms",
		time.Second: "1.0s", 4250 * time.Millisecond: "4.2s", 59999 * time.Millisecond: "59.9s",
		time.Minute: "1m00s", 3*time.Minute + 5*time.Second: "3m05s",
		2*time.Hour + 3*time.Minute + 59*time.Second: "2h03m", 76 * time.Hour: "3d04h", -time.Second: "-",
	}
	for d, want := range cases {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
