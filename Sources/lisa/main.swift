import LisaCommands

LisaMain.main()
