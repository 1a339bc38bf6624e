package sqlstore

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/wangge/wangge"
)

// LoadRegistry bulk-loads buildings, households and persons in one
// transaction (administrators only). In the input, Household.BuildingID is
// an index into buildings and Person.HouseholdID an index into households
// (-1 for none); ids are assigned here. Persons are validated and their
// identifiers encrypted as by CreatePerson. It is what the demo and the
// importers use: hundreds of thousands of rows in seconds.
func (db *DB) LoadRegistry(ctx context.Context, buildings []wangge.Building, households []wangge.Household, persons []wangge.Person) error {
	if err := requireAdmin(ctx, "load the registry"); err != nil {
		return err
	}
	if db.Keys == nil {
		return fmt.Errorf("load registry: no encryption key configured")
	}
	now := db.Now()
	for i := range buildings {
		if err := validateBuilding(&buildings[i]); err != nil {
			return prefixFields(err, fmt.Sprintf("buildings[%d].", i))
		}
	}
	for i := range households {
		if b := households[i].BuildingID; b < -1 || b >= int64(len(buildings)) {
			return wangge.FieldError(fmt.Sprintf("households[%d].building_id", i), "no such building in the batch")
		}
	}
	for i := range persons {
		if h := persons[i].HouseholdID; h < -1 || h >= int64(len(households)) {
			return wangge.FieldError(fmt.Sprintf("persons[%d].household_id", i), "no such household in the batch")
		}
		if err := persons[i].Validate(now); err != nil {
			return prefixFields(err, fmt.Sprintf("persons[%d].", i))
		}
	}
	// Encrypting is costly; do it on every core before the write transaction
	// so that the single SQLite writer is held for as short a time as possible.
	personRows := make([][]any, len(persons))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(persons); i += workers {
				personRows[i] = db.personArgs(&persons[i], nil, dueDate(&persons[i], now), nil) // [0] is the household, set below
			}
		}()
	}
	wg.Wait()
	return db.Transact(ctx, func(tx *Tx) error {
		b0, err := tx.reserveIDs(ctx, "buildings", len(buildings))
		if err != nil {
			return err
		}
		h0, err := tx.reserveIDs(ctx, "households", len(households))
		if err != nil {
			return err
		}
		err = tx.bulkInsert(ctx, "buildings", []string{"id", "code", "unit_code", "address", "name", "use", "floors", "lon", "lat", "crs"}, len(buildings),
			func(i int, dst []any) []any {
				b := &buildings[i]
				b.ID = b0 + int64(i)
				return append(dst, b.ID, b.Code, b.UnitCode, b.Address, b.Name, b.Use, b.Floors, b.Lon, b.Lat, b.CRS)
			})
		if isUniqueViolation(err) {
			return wangge.Errorf(wangge.ECONFLICT, "a building with one of these codes already exists")
		}
		if err != nil {
			return err
		}
		err = tx.bulkInsert(ctx, "households", []string{"id", "building_id", "unit_code", "room", "address", "head_name", "members", "rented", "tags"}, len(households),
			func(i int, dst []any) []any {
				h := &households[i]
				var building any
				if h.BuildingID >= 0 {
					building = b0 + h.BuildingID
				}
				h.ID = h0 + int64(i)
				return append(dst, h.ID, building, h.UnitCode, h.Room, h.Address, h.HeadName, h.Members, h.Rented, tagsText(h.Tags))
			})
		if err != nil {
			return err
		}
		err = tx.withIndexesDeferred(ctx, "persons", func() error {
			return tx.bulkInsert(ctx, "persons", personInsertCols, len(persons), func(i int, dst []any) []any {
				p := &persons[i]
				var household any
				if p.HouseholdID >= 0 {
					household = h0 + p.HouseholdID
				}
				personRows[i][0] = household
				return append(dst, personRows[i]...)
			})
		})
		if isUniqueViolation(err) {
			return wangge.Errorf(wangge.ECONFLICT, "a person with one of these ID numbers is already registered")
		}
		return err
	})
}

// dueDate spreads first visits of a loaded registry over the person's care
// interval, so that a freshly loaded county does not show everybody overdue.
func dueDate(p *wangge.Person, now time.Time) time.Time {
	span := p.CareTier.NextVisitDue(now).Sub(now)
	h := uint64(len(p.IDNumber))
	for i := 0; i < len(p.IDNumber); i++ {
		h = h*31 + uint64(p.IDNumber[i])
	}
	return now.Add(time.Duration(h % uint64(span)))
}
