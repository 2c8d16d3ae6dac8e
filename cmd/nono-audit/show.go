package main

import "errors"

type showCmd struct {
	ID   string `arg:"" help:"Session ID." placeholder:"ID"`
	JSON bool   `name:"json" help:"Print one JSON object for compliance tools."`
}

func (c *showCmd) Run() error { return errors.New("not implemented yet") }
