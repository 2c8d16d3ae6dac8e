package main

import "errors"

type ledgerCmd struct{}

func (c *ledgerCmd) Run() error { return errors.New("not implemented yet") }
