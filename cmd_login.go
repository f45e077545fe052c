package main

import "github.com/spf13/cobra"

// STUB: replaced by the issue that builds this command.
func (a *app) loginCommand() *cobra.Command {
	return &cobra.Command{Use: "login", Short: "not built yet", Hidden: true}
}
