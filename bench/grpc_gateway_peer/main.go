// The peer that bench/gateway_bench measures todo-gateway against: a
// grpc-gateway v1 reverse proxy generated from our tasks.proto with Debian's
// golang-grpc-gateway, printing JSON as todo-gateway's shipped profile does
// (proto field names, primitive fields always printed).
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"golang.org/x/net/context"
	"google.golang.org/grpc"

	tasks "todo/tasks/v1"
)

func main() {
	// Configured as todo-gateway is: from the environment.
	listen := os.Getenv("HTTP_ADDRESS")
	upstream := os.Getenv("TASKS_ADDR")
	if listen == "" || upstream == "" {
		log.Fatal("set HTTP_ADDRESS (host:port to serve) and TASKS_ADDR (todo-tasks host:port)")
	}
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard,
		&runtime.JSONPb{OrigName: true, EmitDefaults: true}))
	dial := []grpc.DialOption{grpc.WithInsecure()}
	if err := tasks.RegisterTasksServiceHandlerFromEndpoint(context.Background(), mux, upstream, dial); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(listen, mux))
}
