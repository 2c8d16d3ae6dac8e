package main

import "errors"

type fsCmd struct{}

func (c *fsCmd) Run() error { return errors.New("not implemented yet") }
