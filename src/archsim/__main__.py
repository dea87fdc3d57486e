from archsim.cli.app import main

main()
