package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wangge/wangge/internal/boston"
)

// replayCmd replays a city's history through a running server's Open311
// interface and writes what it measured.
func (env *Env) replayCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "boston311" {
		return usageError{"replay what? boston311"}
	}
	fs := flag.NewFlagSet("replay boston311", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder with the Boston 311 files (e.g. ../shared/data/boston311)")
	target := fs.String("target", getenv("WANGGE_TARGET", ""), "base URL of the server, such as http://127.0.0.1:8080")
	key := fs.String("api-key", getenv("WANGGE_API_KEY", ""), "a sync key (the one `wangge import boston311` printed)")
	speed := fs.Float64("speed", 0, "0: as fast as possible; S > 0: S seconds of 2011 per second")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	report := fs.String("report", "", "write the JSON report to this file as well")
	if err := parse(fs, args[1:], env.Stderr); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usageError{"replay boston311: --dir is required"}
	case *target == "" || !(strings.HasPrefix(*target, "http://") || strings.HasPrefix(*target, "https://")):
		return usageError{"replay boston311: --target http://HOST:PORT is required"}
	case *key == "":
		return usageError{"replay boston311: --api-key is required"}
	case *speed < 0:
		return usageError{"replay boston311: --speed must be 0 or positive"}
	case *clients < 1 || *clients > 1024:
		return usageError{"replay boston311: --clients must be 1 to 1024"}
	}
	d, err := boston.Read(*dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "replaying %d requests into %s with %d clients\n", len(d.Requests), *target, *clients)
	rep, err := boston.Replay(ctx, d, boston.ReplayConfig{Target: *target, APIKey: *key, Speed: *speed, Clients: *clients, Progress: env.Stderr})
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(struct {
		*boston.ReplayReport
		At string `json:"at"`
	}{rep, time.Now().UTC().Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	if _, err := env.Stdout.Write(out); err != nil {
		return err
	}
	if *report != "" {
		return os.WriteFile(*report, out, 0o644)
	}
	return nil
}
