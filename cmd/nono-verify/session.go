package main

import "errors"

type sessionCmd struct{}

func (c *sessionCmd) Run() error { return errors.New("not implemented yet") }
