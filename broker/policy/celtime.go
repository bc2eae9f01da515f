package policy

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// cel-go's timestamp accessors with a time zone (request.time.getHours(
// "Europe/Paris")) call time.LoadLocation, which reads the zone database,
// on every evaluation. celTimeZones redefines them with the same semantics
// over a cache of loaded locations.
func celTimeZones() []cel.EnvOption {
	accessors := []struct {
		function, overload string
		get                func(time.Time) int64
	}{
		{overloads.TimeGetFullYear, overloads.TimestampToYearWithTz, func(t time.Time) int64 { return int64(t.Year()) }},
		{overloads.TimeGetMonth, overloads.TimestampToMonthWithTz, func(t time.Time) int64 { return int64(t.Month()) - 1 }},
		{overloads.TimeGetDayOfYear, overloads.TimestampToDayOfYearWithTz, func(t time.Time) int64 { return int64(t.YearDay()) - 1 }},
		{overloads.TimeGetDayOfMonth, overloads.TimestampToDayOfMonthZeroBasedWithTz, func(t time.Time) int64 { return int64(t.Day()) - 1 }},
		{overloads.TimeGetDate, overloads.TimestampToDayOfMonthOneBasedWithTz, func(t time.Time) int64 { return int64(t.Day()) }},
		{overloads.TimeGetDayOfWeek, overloads.TimestampToDayOfWeekWithTz, func(t time.Time) int64 { return int64(t.Weekday()) }},
		{overloads.TimeGetHours, overloads.TimestampToHoursWithTz, func(t time.Time) int64 { return int64(t.Hour()) }},
		{overloads.TimeGetMinutes, overloads.TimestampToMinutesWithTz, func(t time.Time) int64 { return int64(t.Minute()) }},
		{overloads.TimeGetSeconds, overloads.TimestampToSecondsWithTz, func(t time.Time) int64 { return int64(t.Second()) }},
		{overloads.TimeGetMilliseconds, overloads.TimestampToMillisecondsWithTz, func(t time.Time) int64 { return int64(t.Nanosecond() / 1e6) }},
	}
	opts := make([]cel.EnvOption, 0, len(accessors))
	for _, a := range accessors {
		get := a.get
		opts = append(opts, cel.Function(a.function, cel.MemberOverload(a.overload,
			[]*cel.Type{cel.TimestampType, cel.StringType}, cel.IntType,
			cel.BinaryBinding(func(ts, tz ref.Val) ref.Val {
				t, ok := ts.(types.Timestamp)
				if !ok {
					return types.MaybeNoSuchOverloadErr(ts)
				}
				name, ok := tz.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(tz)
				}
				loc, err := zoneLocation(string(name))
				if err != nil {
					return types.WrapErr(err)
				}
				return types.Int(get(t.Time.In(loc)))
			}))))
	}
	return opts
}

// maxZones bounds the location cache (zone names may come from request data).
const maxZones = 256

var zones sync.Map // string -> *time.Location

// zoneLocation resolves a zone name ("Europe/Paris") or a UTC offset ("+02:00",
// "-5:30") as CEL does, caching loaded names.
func zoneLocation(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if h, m, ok := strings.Cut(name, ":"); ok {
		hr, err1 := strconv.Atoi(h)
		min, err2 := strconv.Atoi(m)
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("bad timezone offset %q", name)
		case hr < -23 || hr > 23:
			return nil, fmt.Errorf("timezone offset hours out of range [-23, 23]: %s", name)
		case min < 0 || min > 59:
			return nil, fmt.Errorf("timezone offset minutes out of range [0, 59]: %s", name)
		}
		offset := hr*60 + min
		if strings.HasPrefix(name, "-") {
			offset = hr*60 - min
		}
		return time.FixedZone("", offset*60), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	n := 0
	zones.Range(func(any, any) bool { n++; return n < maxZones })
	if n < maxZones {
		zones.Store(name, loc)
	}
	return loc, nil
}
