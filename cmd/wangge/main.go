// Command wangge runs the Wangge grid governance platform: one binary with
// subcommands (serve, demo, migrate, import, user, version).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wangge/wangge/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wangge:", err)
		os.Exit(app.ExitCode(err))
	}
}
