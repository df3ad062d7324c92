print("tcpkit")
