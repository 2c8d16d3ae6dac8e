package main

import "errors"

type recordCmd struct{}

func (c *recordCmd) Run() error { return errors.New("not implemented yet") }
