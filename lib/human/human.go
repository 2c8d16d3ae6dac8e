// Package human renders what people read: sizes and times the way the
// listings of `nono audit` and `nono rollback` show them (upstream's
// forms), and recorded strings made safe to print on a terminal.
package human

import (
	"fmt"
	"time"
)

// Size is a byte count: "N B" below 1 KiB, else one decimal of KB, MB or
// GB, 1024-based.
func Size(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k:
		return fmt.Sprintf("%.1f KB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MB", float64(n)/(k*k))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(k*k*k))
}

// Age is how long before now t was: "just now", "5m ago", "3h ago",
// "2d ago"; a week or more ago, or in the future (a clock moved), the time
// itself in now's zone ("Feb 19 09:20", with the year when it differs
// from now's).
func Age(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
	t = t.In(now.Location())
	if t.Year() != now.Year() {
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("Jan 02 15:04")
}

// Duration is how long something took, as precise as is useful at its
// scale: "350ms", "4.2s", "3m05s", "2h03m", "3d04h".
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d < time.Minute:
		tenths := d / (100 * time.Millisecond)
		return fmt.Sprintf("%d.%ds", tenths/10, tenths%10)
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%02dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}
