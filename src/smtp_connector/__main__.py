from smtp_connector.cli import main

main()
