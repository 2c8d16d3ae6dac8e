package main

import "errors"

type summaryCmd struct{}

func (c *summaryCmd) Run() error { return errors.New("not implemented yet") }
