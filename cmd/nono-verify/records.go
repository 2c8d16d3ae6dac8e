package main

import "errors"

type recordsCmd struct{}

func (c *recordsCmd) Run() error { return errors.New("not implemented yet") }
