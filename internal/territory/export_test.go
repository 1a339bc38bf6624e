package territory

// Rebuilt is how many shards the locator's last rebuild built.
func Rebuilt(l *Locator) int { return l.rebuilt }
