package main

import "github.com/spf13/cobra"

// STUB: replaced by the issue that builds this command.
func (a *app) importCommand() *cobra.Command {
	return &cobra.Command{Use: "import", Short: "not built yet", Hidden: true}
}
